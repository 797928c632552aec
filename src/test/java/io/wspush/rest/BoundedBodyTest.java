package io.wspush.rest;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class BoundedBodyTest {

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) i;
        return b;
    }

    @Test
    void readsUpToTheLimitWithOrWithoutLength() throws Exception {
        assertArrayEquals(bytes(100), BoundedBody.read("100", new ByteArrayInputStream(bytes(100)), 100));
        assertArrayEquals(bytes(100), BoundedBody.read(null, new ByteArrayInputStream(bytes(100)), 100));
        assertArrayEquals(bytes(5000), BoundedBody.read(null, new ByteArrayInputStream(bytes(5000)), 5000));
        assertArrayEquals(new byte[0], BoundedBody.read(null, new ByteArrayInputStream(new byte[0]), 10));
    }

    @Test
    void refusesOverTheLimit() throws Exception {
        assertNull(BoundedBody.read("101", new ByteArrayInputStream(bytes(101)), 100));
        assertNull(BoundedBody.read(null, new ByteArrayInputStream(bytes(101)), 100));
        // A lying Content-Length does not help.
        assertNull(BoundedBody.read("10", new ByteArrayInputStream(bytes(5000)), 100));
    }
}
