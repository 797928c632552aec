/** Operator endpoints: {@code /admin} (disconnect a user, count connections), {@code /health}, {@code /metrics}. */
package io.wspush.admin;
