package io.wspush.receipts;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ReceiptReportTest {

    @Test
    void roundTrips() {
        assertEquals(new ReceiptReport('h', 12, 3, 1), ReceiptReport.parse(ReceiptReport.handed(12, 3, 1)));
        assertEquals(new ReceiptReport('a', 9, 1, 0), ReceiptReport.parse(ReceiptReport.acked(9, 1)));
    }

    @Test
    void refusesWhatIsNotAReport() {
        for (String bad : new String[]{null, "", "h", "h 1 2", "h 1 2 3 4", "a 1", "x 1 2", "h 0 1 1", "a -1 1",
                "a 1 -1", "h 1 2 x", "a 99999999999999999999 1", "h 1 2 3 " + "9".repeat(80), "h  1 2 3"}) {
            assertNull(ReceiptReport.parse(bad), String.valueOf(bad));
        }
    }
}
