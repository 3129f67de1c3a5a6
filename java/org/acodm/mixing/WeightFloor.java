package org.acodm.mixing;

/**
 * The weight floor α = (1 − K ε) a + ε of AC-ODM, the closed form and the frozen actor: every domain keeps at least ε.
 * ε is fixed ({@link FloorSchedule#FIXED}, the default: a share of the uniform weight, ε = share / K, so that the floor
 * shrinks every deviation by the same 1 − share whatever K), ODM's ε_t ({@link FloorSchedule#ODM}) or 0.
 */
final class WeightFloor {
    private final FloorSchedule schedule;
    private final double share;
    private final int k;

    /** @param share the fixed floor's share of the uniform weight, in [0, 1) */
    WeightFloor(FloorSchedule schedule, double share, int k) {
        if (schedule == null) throw new IllegalArgumentException("floor schedule is required");
        if (schedule == FloorSchedule.FIXED && !(share >= 0 && share < 1))
            throw new IllegalArgumentException("floor_share must be in [0, 1), got " + share);
        this.schedule = schedule;
        this.share = share;
        this.k = k;
    }

    /** ε after t observed steps (t = 0 before the first). */
    double epsilon(long t) {
        return switch (schedule) {
            case FIXED -> share / k;
            case ODM -> OdmSchedule.epsilon(k, t);
            case NONE -> 0;
        };
    }

    double[] apply(double[] a, long t) {
        double eps = epsilon(t);
        return eps == 0 ? a.clone() : OdmSchedule.applyFloor(a, eps);
    }

    /** The action whose floored weights are {@code alpha} (clamped at 0 and renormalised where alpha is below the floor). */
    double[] remove(double[] alpha, long t) {
        double eps = epsilon(t);
        return eps == 0 ? alpha.clone() : OdmSchedule.removeFloor(alpha, eps);
    }
}
