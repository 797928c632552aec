package io.wspush.auth;

import io.wspush.config.Config;

/**
 * The bearer keys of the HTTP side, each with its previous value during a rotation: pushers ({@code POST /push}),
 * operators ({@code /admin}), scrapers ({@code /metrics}) and presence readers ({@code /presence}).
 */
public record Keys(KeyCheck push, KeyCheck admin, KeyCheck metrics, KeyCheck presence) {

    public static Keys from(Config config) {
        return new Keys(
                new KeyCheck(config.pushKey(), config.previousPushKey()),
                new KeyCheck(config.adminKey(), config.previousAdminKey()),
                new KeyCheck(config.metricsKey(), config.metricsKey().equals(config.adminKey())
                        ? config.previousAdminKey() : null),
                new KeyCheck(config.presenceKey(), config.previousPresenceKey()));
    }
}
