package dev.phaseshift.plan;

/**
 * When a fleet stops: once a wave has finished and the share of failed migrations among those
 * finished so far is above {@code maxFailureRate}, the remaining waves wait for an operator to
 * resume, skip the failed databases or abort.
 *
 * @param maxFailureRate from 0 (default: any failure stops the fleet) to just under 1
 */
public record FleetStopPolicy(Double maxFailureRate) {}
