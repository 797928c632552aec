/** {@code POST /push}: the one entry point for pushes, wire-compatible with wserver's pushers. */
package io.wspush.push;
