package org.acodm.mixing;

import java.util.List;

/** Checks every policy applies to an observation before using it. */
final class PolicyChecks {
    private PolicyChecks() {}

    /** Returns the observation's step after checking its domains and that steps increase. */
    static long step(StepObservation o, List<String> domains, long lastStep) {
        if (!o.domains().equals(domains))
            throw new IllegalArgumentException("observation of step " + o.step() + ": "
                    + DomainLists.describeDifference(domains, o.domains(), "the policy", "the observation"));
        if (o.step() <= lastStep)
            throw new IllegalArgumentException("observation of step " + o.step() + " arrived after step " + lastStep
                    + ": steps must be observed once each, in increasing order");
        for (int k = 0; k < domains.size(); k++) {
            if (!(o.domainTokens()[k] >= 0))
                throw new IllegalArgumentException("step " + o.step() + ": domain '" + domains.get(k) + "' has token count " + o.domainTokens()[k]);
        }
        return o.step();
    }
}
