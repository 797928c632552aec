/**
 * Who may do what: browser tokens (JWT HS256, {@link io.wspush.auth.TokenVerifier}), revoked users, and the bearer
 * keys of pushers, operators and scrapers ({@link io.wspush.auth.Keys}).
 */
package io.wspush.auth;
