/**
 * How pushes and operator disconnects reach every node that holds the user: {@link io.wspush.broker.Broker}, with
 * one file per implementation ({@link io.wspush.broker.MemoryBroker} for one node, {@link io.wspush.broker.RedisBroker}
 * for many) and the Redis parts beside it: the link and its reconnects ({@code RedisLink}), subscriptions, the
 * payload between nodes, held disconnects.
 */
package io.wspush.broker;
