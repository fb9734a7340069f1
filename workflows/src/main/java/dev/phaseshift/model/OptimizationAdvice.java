package dev.phaseshift.model;

import java.util.List;

/**
 * OPTIMIZE's advice on the new primary: a report section, nothing changed beyond ANALYZE and (when
 * the plan allows) freezing the copied tables.
 *
 * @param frozen            whether the copied tables were frozen
 * @param freezeMaxAge      the new primary's autovacuum_freeze_max_age
 * @param freezeDebtBytes   bytes of copied tables still to be frozen by an anti-wraparound vacuum later
 * @param tables            the copied tables' ages, the largest first (bounded)
 * @param slowerStatements  statements slower on the new primary, the worst first, with both plans
 * @param unusedIndexes     indexes the source never used that were built on the new primary
 * @param tablesWithoutStatistics tables the planner has no column statistics for even after ANALYZE
 * @param settings          settings that differ in ways that matter
 * @param notes             what could not be checked, and why
 */
public record OptimizationAdvice(
    boolean frozen,
    long freezeMaxAge,
    long freezeDebtBytes,
    List<TableFreeze> tables,
    List<SlowerStatement> slowerStatements,
    List<UnusedIndex> unusedIndexes,
    List<String> tablesWithoutStatistics,
    List<SettingDifference> settings,
    List<String> notes) {}
