/**
 * {@code /ws}: the {@code @ServerEndpoint} and its configurator. It only translates container callbacks to the
 * node's socket side.
 */
package io.wspush.endpoint;
