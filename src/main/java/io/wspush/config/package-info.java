/**
 * The settings a node runs with: looked up as system properties, environment variables or servlet context
 * parameters ({@link io.wspush.config.Settings}), checked once at start ({@link io.wspush.config.Config}).
 */
package io.wspush.config;
