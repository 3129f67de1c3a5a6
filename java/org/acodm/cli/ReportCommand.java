package org.acodm.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.acodm.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code acodm report}: compare finished (or running) runs in one HTML page with plots and a summary table. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Compare runs: validation perplexity over steps, each run's domain weights, final per-domain perplexity,",
                "a summary table (also printed) with the steps each run needed to reach the best baseline's final perplexity, and a",
                "seed summary (also printed): runs of one name as mean +- sd, their largest weight and entropy, proxies apart."})
public final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Run directories (each with run.json and metrics.jsonl).")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where report.html and its PNG plots are written.")
    Path out;

    @Option(names = "--ignore-domains", split = ",", paramLabel = "DOMAIN",
            description = "Domains left out of the seed summary's mean perplexity and reported by their weight instead (e.g. Noise from `acodm corpus noisy`).")
    List<String> ignoreDomains = new java.util.ArrayList<>();

    @Override public Integer call() throws Exception {
        ReportWriter.Result r = ReportWriter.write(runs, out, new java.util.LinkedHashSet<>(ignoreDomains));
        var err = spec.commandLine().getErr();
        for (String w : r.warnings()) err.println("warning: " + w);
        err.flush();
        var o = spec.commandLine().getOut();
        o.print(r.comparison().table());
        o.println();
        o.print(r.seeds().table());
        o.println("wrote " + r.files().get(0) + " (" + (r.files().size() - 1) + " plots)");
        o.flush();
        return 0;
    }
}
