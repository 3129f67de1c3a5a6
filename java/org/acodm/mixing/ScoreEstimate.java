package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** What {@link DomainSignal} makes of the steps' raw signal: {@link AdvantageEstimate} or {@link ZScoreEstimate}. */
interface ScoreEstimate {
    /** Folds one step's W into the estimate; a step that is not {@link DomainSignal.Outcome#USED} changes nothing. */
    DomainSignal.Outcome fold(DomainScores step, double[] alpha);

    /** The scores the objective acts on when the current mixture is {@code alpha}. */
    double[] scores(double[] alpha);

    /** Each score's standard error (NaN where the method has none). */
    double[] standardErrors();

    /** The variance of the true scores across domains beyond noise (NaN where the method has none). */
    double signalVariance();

    /** The estimate's running sums, as its own record ({@link StateFiles#tree}). */
    JsonNode save();

    /** Restores what {@link #save} returned; refuses an estimate configured otherwise. */
    void restore(JsonNode saved) throws IOException;
}
