package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Position;
import org.junit.jupiter.api.Test;

class PgLsnTest {
  @Test
  void theHighAndLowHalvesMakeTheOffsetAndTheTextStaysTheLabel() {
    Position p = PgLsn.position("16/B374D848");
    assertEquals((0x16L << 32) | 0xB374D848L, p.offset());
    assertEquals("16/B374D848", p.label());
    assertEquals(0, PgLsn.position("0/0").offset());
  }

  @Test
  void laterPositionsHaveLargerOffsets() {
    assertTrue(Position.reached(PgLsn.position("1/0"), PgLsn.position("0/FFFFFFFF")));
    assertTrue(!Position.reached(PgLsn.position("0/1A2B3C"), PgLsn.position("0/2000000")));
  }

  @Test
  void noTextIsNoPositionAndOtherTextIsRefused() {
    assertNull(PgLsn.position(null));
    assertThrows(IllegalArgumentException.class, () -> PgLsn.position("16B374D848"));
  }
}
