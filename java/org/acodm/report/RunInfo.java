package org.acodm.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code run.json}: what a run is (name, mixing method, model, domains in id order) and how big a step is.
 *
 * @param config the resolved configuration as written by the trainer (may be an empty object)
 */
public record RunInfo(String name, String method, String model, List<String> domains, long steps, long tokensPerStep, JsonNode config) {
    public RunInfo {
        domains = List.copyOf(domains);
    }

    /** Baselines are the methods AC-ODM is measured against: everything except acodm and frozen_actor. */
    public boolean isBaseline() {
        return !method.equals("acodm") && !method.equals("frozen_actor");
    }
}
