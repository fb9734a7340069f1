package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ChangingRows;
import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.Position;
import dev.phaseshift.model.ValidationResult;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReportMarkdownTest {
  private static String render(List<TableValidation> tables) {
    ValidationResult v = new ValidationResult(new Position(1, "0/1"), tables, List.of(), List.of(),
        (int) tables.stream().filter(t -> !t.match()).count(), 10);
    MigrationReport r = new MigrationReport("shop", "FAILED", null, null, null, List.of(), 0, v, null, null,
        List.of(), List.of(), List.of(), List.of(), null);
    return ReportMarkdown.render(r, Optional.empty());
  }

  @Test
  void aDifferingTableIsShownWithTheKeyRangesItDiffersIn() {
    String md = render(List.of(
        new TableValidation("public.accounts", 10, 10, "1", "2", false, 24,
            List.of(new ChunkDifference("aid", "5000005", "5416672", 416667, 416667))),
        new TableValidation("public.notes", 3, 2, "1", "2", false, 1,
            List.of(new ChunkDifference(null, null, null, 3, 2))),
        new TableValidation("public.items", 5, 5, "3", "3", true, 18, List.of())));
    assertTrue(md.contains("### Where the content differs"), md);
    assertTrue(md.contains("| public.accounts | `aid >= 5000005 AND aid < 5416672` | 416667 | 416667 |"), md);
    assertTrue(md.contains("| public.accounts | 1 of 24 key ranges differ | | |"), md);
    assertTrue(md.contains("| public.notes | `whole table` | 3 | 2 |"), md);
    assertFalse(md.contains("public.items | `"), md);
  }

  @Test
  void objectsOutsideTheStreamAreListedWithWhatDiffers() {
    ValidationResult v = new ValidationResult(new Position(1, "0/1"), List.of(), List.of(), List.of(), 1, 10, 0, 0,
        0, 0, List.of(
            new ObjectCheck("materialized view", "ops.busy", "populated, 3 rows, checksum a", "not populated", false,
                "refresh it"),
            new ObjectCheck("large objects", "pg_largeobject", "2 object(s), 10 bytes", "2 object(s), 10 bytes", true,
                "")));
    MigrationReport r = new MigrationReport("shop", "FAILED", null, null, null, List.of(), 0, v, null, null,
        List.of(), List.of(), List.of(), List.of(), null);
    String md = ReportMarkdown.render(r, Optional.empty());
    assertTrue(md.contains("## Objects the stream does not carry"), md);
    assertTrue(md.contains("| materialized view | ops.busy | populated, 3 rows, checksum a | not populated | **no** |"
        + " refresh it |"), md);
    assertTrue(md.contains("| large objects | pg_largeobject | 2 object(s), 10 bytes | 2 object(s), 10 bytes | yes |"), md);
  }

  @Test
  void resultsRecordedBeforeChunkingRenderAsBefore() {
    String md = render(List.of(new TableValidation("public.accounts", 10, 9, "1", "2", false)));
    assertTrue(md.contains("| public.accounts | 10 | 9 | **no** |"), md);
    assertFalse(md.contains("Where the content differs"), md);
  }

  @Test
  void rowsThatKeptChangingAreNamedBesideAPass() {
    TableValidation hot = new TableValidation("public.orders", 99, 99, "1", "1", true, 4, List.of(),
        new ChangingRows(2, false, List.of("17", "42")));
    ValidationResult v = new ValidationResult(new Position(1, "0/1"), List.of(hot), List.of(), List.of(), 0, 10, 1, 0,
        2, 1);
    MigrationReport r = new MigrationReport("shop", "COMPLETED", null, null, null, List.of(), 0, v, null, null,
        List.of(), List.of(), List.of(), List.of(), null);
    String md = ReportMarkdown.render(r, Optional.empty());
    assertTrue(md.contains("| Validation | passed; 2 row(s) in 1 table(s) changed in every round and were not compared |"),
        md);
    assertTrue(md.contains("| public.orders | 99 | 99 | yes; 2 row(s) changed in every round, not compared (e.g. 17, 42) |"),
        md);
  }
}
