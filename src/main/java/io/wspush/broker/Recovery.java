package io.wspush.broker;

import io.wspush.protocol.Delivery;
import io.wspush.protocol.RegistrationFrame.Since;

import java.util.List;

/** Whether a resuming client missed nothing that history cannot give back (the same rule for every broker). */
final class Recovery {

    private Recovery() {
    }

    /**
     * @param epoch   the user's history epoch now (null: no history)
     * @param current the user's latest offset
     * @param after   the entries after {@code since.offset()} still kept, ascending
     * @param oldestAllowedMillis entries accepted before this are past the TTL and count as gone
     * @return null without {@code since}; else whether every push after it is in {@code after}
     */
    static Boolean recovered(Since since, String epoch, long current, List<Delivery> after, long oldestAllowedMillis) {
        if (since == null) return null;
        if (epoch == null || !epoch.equals(since.epoch()) || since.offset() > current) return false;
        long missed = current - since.offset();
        if (missed == 0) return true;
        if (after.size() != missed) return false;
        Delivery first = after.get(0);
        return first.offset == since.offset() + 1 && after.get(after.size() - 1).offset == current
                && first.acceptedAtMillis >= oldestAllowedMillis;
    }
}
