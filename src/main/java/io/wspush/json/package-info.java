/**
 * JSON-P plumbing: the shared factories ({@link io.wspush.json.Jsonp}) and a strict, cheap reader for the flat JSON
 * objects wspush receives ({@link io.wspush.json.FlatJson}).
 */
package io.wspush.json;
