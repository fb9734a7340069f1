package dev.phaseshift.model;

import java.util.List;

/**
 * Rows of one table that changed again in every round of a validation, so they were never read at
 * a point where both sides could be compared. Neither a match nor a mismatch: the application keeps
 * writing them; the next validation (or the check right before the freeze) compares them again.
 *
 * @param rows       how many rows (0 when {@code wholeTable}: the table has no key to name rows by,
 *                   or changed as a whole, e.g. truncated, in every round)
 * @param wholeTable the whole table kept changing and was not compared
 * @param examples   a few of the rows' keys, as text, so an operator can look at them
 */
public record ChangingRows(long rows, boolean wholeTable, List<String> examples) {
  /** Keys listed per table at most, so a hot table does not swell the result. */
  public static final int EXAMPLES = 5;
}
