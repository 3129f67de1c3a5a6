package org.acodm.mixing;

import java.util.ArrayList;
import java.util.List;

/** Messages that say exactly how two domain lists differ (missing, extra, or the same names in another order). */
final class DomainLists {
    private DomainLists() {}

    static String describeDifference(List<String> mine, List<String> theirs, String mineName, String theirName) {
        List<String> missing = new ArrayList<>(mine);
        missing.removeAll(theirs);
        List<String> extra = new ArrayList<>(theirs);
        extra.removeAll(mine);
        StringBuilder sb = new StringBuilder("the domain lists differ (" + mineName + ": " + mine.size() + " domains, "
                + theirName + ": " + theirs.size() + ")");
        if (!missing.isEmpty()) sb.append("; only in ").append(mineName).append(": ").append(missing);
        if (!extra.isEmpty()) sb.append("; only in ").append(theirName).append(": ").append(extra);
        if (missing.isEmpty() && extra.isEmpty()) {
            for (int i = 0; i < mine.size(); i++)
                if (!mine.get(i).equals(theirs.get(i))) {
                    sb.append("; same names in another order, first at position ").append(i).append(" ('")
                            .append(mine.get(i)).append("' vs '").append(theirs.get(i)).append("')");
                    break;
                }
        }
        return sb.toString();
    }
}
