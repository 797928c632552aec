/** The node's Prometheus meters (Micrometer), served at {@code /metrics}. */
package io.wspush.metrics;
