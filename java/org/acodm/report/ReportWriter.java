package org.acodm.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * {@code acodm report}: reads run directories, compares them, and writes {@code report.html} with its PNG plots
 * into an output directory. Every file is written through {@link AtomicFile}, so a reader never sees a
 * half-written plot or page.
 */
public final class ReportWriter {
    public static final String HTML = "report.html";
    public static final String PPL_PNG = "val_ppl.png";
    public static final String PPL_LATE_PNG = "val_ppl_late.png";
    public static final String DOMAIN_PNG = "domain_ppl.png";
    public static final String MAX_WEIGHT_PNG = "max_weight.png";
    public static final String ENTROPY_PNG = "entropy.png";

    /** What was written: the comparison, the seed summary, the files (page first), and warnings about the inputs. */
    public record Result(Comparison comparison, SeedTable seeds, List<Path> files, List<String> warnings) {}

    private ReportWriter() {}

    public static Result write(List<Path> runDirs, Path outDir) throws IOException {
        return write(runDirs, outDir, java.util.Set.of());
    }

    /**
     * As {@link #write(List, Path)}, with {@code ignoredDomains} left out of the seed summary's perplexity means and
     * reported by their weight instead; each must be a domain of some run.
     */
    public static Result write(List<Path> runDirs, Path outDir, java.util.Set<String> ignoredDomains) throws IOException {
        return write(runDirs, outDir, ignoredDomains, "");
    }

    /** As {@link #write(List, Path, java.util.Set)}, with {@code leadHtml} (a study's tables) at the top of the page. */
    public static Result write(List<Path> runDirs, Path outDir, java.util.Set<String> ignoredDomains, String leadHtml) throws IOException {
        // Plots are drawn off-screen; without this a machine with no display can fail in AWT.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        if (runDirs.isEmpty()) throw new IllegalArgumentException("no run directories given");
        List<RunLog> runs = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (Path d : runDirs) {
            RunLog r = RunLog.read(d);
            runs.add(r);
            warnings.addAll(r.warnings());
        }
        Comparison c = new Comparison(runs);
        java.util.Set<String> known = new java.util.HashSet<>();
        for (RunLog r : runs) known.addAll(r.info().domains());
        for (String d : ignoredDomains)
            if (!known.contains(d)) throw new IllegalArgumentException("--ignore-domains: '" + d + "' is not a domain of any run " + new java.util.TreeSet<>(known));
        SeedTable seeds = SeedTable.of(runs, ignoredDomains);
        Directories.create(outDir);
        List<Path> files = new ArrayList<>();
        List<HtmlPage.Plot> weightPlots = new ArrayList<>();
        files.add(null);  // the page, filled in last
        files.add(png(Charts.perplexity(c), outDir.resolve(PPL_PNG)));
        files.add(png(Charts.perplexityLate(c), outDir.resolve(PPL_LATE_PNG)));
        files.add(png(Charts.domainPerplexity(c), outDir.resolve(DOMAIN_PNG)));
        files.add(png(Charts.concentration(seeds, false), outDir.resolve(MAX_WEIGHT_PNG)));
        files.add(png(Charts.concentration(seeds, true), outDir.resolve(ENTROPY_PNG)));
        for (int i = 0; i < runs.size(); i++) {
            RunLog r = runs.get(i);
            String name = String.format(Locale.ROOT, "weights_%02d_%s.png", i + 1, fileSafe(c.label(r)));
            files.add(png(Charts.weights(r, c.label(r)), outDir.resolve(name)));
            weightPlots.add(new HtmlPage.Plot(name, "Domain weights of " + c.label(r)));
        }
        Path page = outDir.resolve(HTML);
        AtomicFile.write(page, HtmlPage.render(c, seeds, weightPlots, warnings, leadHtml, ReportWriter::json).getBytes(StandardCharsets.UTF_8));
        files.set(0, page);
        return new Result(c, seeds, List.copyOf(files), List.copyOf(warnings));
    }

    private static Path png(Chart<?, ?> chart, Path file) throws IOException {
        AtomicFile.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        return file;
    }

    static String fileSafe(String s) {
        String t = s.replaceAll("[^A-Za-z0-9._-]+", "_");
        return t.length() > 60 ? t.substring(0, 60) : t;
    }


    private static String json(Object value) {
        try {
            return Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }
}
