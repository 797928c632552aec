package io.wspush.json;

import jakarta.json.JsonBuilderFactory;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonGeneratorFactory;
import jakarta.json.stream.JsonParserFactory;

import java.util.Map;

/**
 * The one place wspush gets its JSON-P factories. {@code Json.createParser} and friends look the provider up with a
 * {@code ServiceLoader} scan of the web application's jars on every call; these are looked up once, when this class
 * is first used, on a thread whose context class loader is the web application's (the node's start), so that
 * Lettuce's event-loop threads can use them too.
 */
public final class Jsonp {

    private static final JsonProvider PROVIDER = JsonProvider.provider();

    public static final JsonParserFactory PARSERS = PROVIDER.createParserFactory(Map.of());
    public static final JsonGeneratorFactory GENERATORS = PROVIDER.createGeneratorFactory(Map.of());
    public static final JsonBuilderFactory BUILDERS = PROVIDER.createBuilderFactory(Map.of());

    private Jsonp() {
    }
}
