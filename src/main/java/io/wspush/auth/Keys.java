package io.wspush.auth;

import io.wspush.config.Config;

/**
 * The bearer keys of the HTTP side, each with its previous value during a rotation: pushers ({@code POST /push}),
 * operators ({@code /admin}) and scrapers ({@code /metrics}).
 */
public record Keys(KeyCheck push, KeyCheck admin, KeyCheck metrics) {

    public static Keys from(Config config) {
        return new Keys(
                new KeyCheck(config.pushKey(), config.previousPushKey()),
                new KeyCheck(config.adminKey(), config.previousAdminKey()),
                new KeyCheck(config.metricsKey(), config.metricsKey().equals(config.adminKey())
                        ? config.previousAdminKey() : null));
    }
}
