package org.acodm.cli;

import static org.acodm.train.TrainFixtures.DOMAINS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `acodm eval` scores a checkpoint exactly as the trainer's evaluations did: on val, the numbers of a checkpoint
 * equal the eval record of that step in metrics.jsonl; on test, other windows give other (finite) numbers.
 */
class EvalCommandTest {
    @TempDir static Path dir;
    static Path run;
    static List<JsonNode> evals;

    @BeforeAll static void train() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("odm.yaml"), "odm", "  method: odm\n  odm: {}");
        run = TrainFixtures.train(cfg, dir.resolve("odm"), "--set", "eval.interval=2");  // eval records at 0, 2, 4, 6, 8
        evals = TrainFixtures.records(TrainFixtures.metrics(run), "eval");
    }

    /** domain (or "average") -> {loss, perplexity, bpb} from the printed table. */
    private static Map<String, double[]> table(String out) {
        Map<String, double[]> rows = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^(\\S+) +(?:\\d+ +)?([-0-9.]+) +([-0-9.]+) +([-0-9.]+)$").matcher(out);
        while (m.find())
            if (!m.group(1).equals("domain"))
                rows.put(m.group(1), new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4))});
        return rows;
    }

    private static void assertMatchesRecord(JsonNode record, Map<String, double[]> rows) {
        // Printed with 6 decimals: equal to the record up to the rounding of the print.
        for (String d : DOMAINS) {
            double[] row = rows.get(d);
            assertEquals(record.get("domain_loss").get(d).asDouble(), row[0], 5e-7, d);
            assertEquals(record.get("domain_ppl").get(d).asDouble(), row[1], 5e-7, d);
            assertEquals(record.get("domain_bpb").get(d).asDouble(), row[2], 5e-7, d);
        }
        double[] avg = rows.get("average");
        assertEquals(record.get("loss").asDouble(), avg[0], 5e-7);
        assertEquals(record.get("ppl").asDouble(), avg[1], 5e-7);
        assertEquals(record.get("bpb").asDouble(), avg[2], 5e-7);
    }

    @Test void latestCheckpointOnValEqualsTheRunsFinalEvaluation() {
        TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", run.toString());
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.out().contains("(after step 8 of 8)"), r.out());
        assertTrue(r.out().contains("split       val: up to 4 windows of 32 tokens per domain"), r.out());
        Map<String, double[]> rows = table(r.out());
        assertEquals(DOMAINS.size() + 1, rows.size(), r.out());
        assertMatchesRecord(evals.get(evals.size() - 1), rows);
    }

    @Test void anEarlierCheckpointEqualsThatStepsEvaluation() {
        TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", run.toString(), "--checkpoint", "6");
        assertEquals(0, r.rc(), r.all());
        JsonNode at6 = evals.stream().filter(e -> e.get("step").asLong() == 6).findFirst().orElseThrow();
        assertMatchesRecord(at6, table(r.out()));
    }

    @Test void testSplitScoresOtherWindows() {
        TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", run.toString(), "--split", "test");
        assertEquals(0, r.rc(), r.all());
        Map<String, double[]> test = table(r.out());
        JsonNode finalVal = evals.get(evals.size() - 1);
        for (String d : DOMAINS) {
            double[] row = test.get(d);
            assertTrue(row[0] > 0 && row[0] < 8, d + " " + row[0]);
            assertEquals(Math.exp(row[0]), row[1], 1e-5 * row[1], d);
            assertNotEquals(finalVal.get("domain_loss").get(d).asDouble(), row[0], 1e-6, d + ": test windows scored like val");
        }
    }

    @Test void errorsNameWhatIsMissing() {
        TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", run.toString(), "--checkpoint", "3");
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("no complete checkpoint") && r.err().contains("[step-000000006, step-000000008]"), r.err());
        r = TrainFixtures.cli("eval", "--run", run.toString(), "--split", "train");
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("--split"), r.err());
        r = TrainFixtures.cli("eval", "--run", dir.resolve("nothing").toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("--run " + dir.resolve("nothing") + " is not a run directory (no such directory"), r.err());
    }
}
