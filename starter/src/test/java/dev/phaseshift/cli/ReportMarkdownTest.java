package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.MigrationReport;
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
  void resultsRecordedBeforeChunkingRenderAsBefore() {
    String md = render(List.of(new TableValidation("public.accounts", 10, 9, "1", "2", false)));
    assertTrue(md.contains("| public.accounts | 10 | 9 | **no** |"), md);
    assertFalse(md.contains("Where the content differs"), md);
  }
}
