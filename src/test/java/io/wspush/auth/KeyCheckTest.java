package io.wspush.auth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyCheckTest {

    final KeyCheck check = new KeyCheck("s3cret-key-0123456789");

    @Test
    void acceptsTheBearerKeyOnly() {
        assertTrue(check.accepts("Bearer s3cret-key-0123456789"));
        assertTrue(check.accepts("bearer s3cret-key-0123456789"));
        assertFalse(check.accepts("Bearer s3cret-key-012345678"));
        assertFalse(check.accepts("Bearer s3cret-key-01234567890"));
        assertFalse(check.accepts("Basic s3cret-key-0123456789"));
        assertFalse(check.accepts("s3cret-key-0123456789"));
        assertFalse(check.accepts("Bearer "));
        assertFalse(check.accepts(""));
        assertFalse(check.accepts(null));
    }

    @Test
    void duringARotationBothKeysWork() {
        KeyCheck rotating = new KeyCheck("new-key-0123456789", "old-key-0123456789");
        assertTrue(rotating.accepts("Bearer new-key-0123456789"));
        assertTrue(rotating.accepts("Bearer old-key-0123456789"));
        assertFalse(rotating.accepts("Bearer other-key-0123456789"));
        assertFalse(new KeyCheck("k-0123456789abcdef", null).accepts("Bearer null"));
    }
}
