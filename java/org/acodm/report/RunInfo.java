package org.acodm.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code run.json}: what a run is (name, mixing method, model, domains in id order) and how big a step is.
 *
 * @param config   the resolved configuration as written by the trainer (may be an empty object)
 * @param complete run.json says the run reached its planned steps
 * @param seed     its run.seed, or null when run.json does not record it
 * @param setup    a fingerprint of its configuration without run.name, run.seed and the keys of where it ran: two runs with
 *                 the same setup and name differ only by seed
 */
public record RunInfo(String name, String method, String model, List<String> domains, long steps, long tokensPerStep, JsonNode config,
                      boolean complete, Long seed, String setup) {
    public RunInfo {
        domains = List.copyOf(domains);
    }

    /** Baselines are the methods AC-ODM is measured against: everything except acodm and frozen_actor. */
    public boolean isBaseline() {
        return !method.equals("acodm") && !method.equals("frozen_actor");
    }
}
