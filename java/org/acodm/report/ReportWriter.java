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
import org.acodm.io.StagedDirectory;
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
        return write(runDirs, outDir, ignoredDomains, leadHtml, java.util.Map.of());
    }

    /**
     * As {@link #write(List, Path, java.util.Set, String)}, with {@code extraFiles} (name to bytes: a study's report.md and
     * report.json) written beside the page. The report folder is built beside {@code outDir} and swapped in whole
     * ({@link StagedDirectory}): a report killed mid-way leaves the previous report as it was, and a new one carries no
     * plot of a run it no longer shows. A folder holding files a report does not write is refused, not replaced.
     */
    public static Result write(List<Path> runDirs, Path outDir, java.util.Set<String> ignoredDomains, String leadHtml,
                               java.util.Map<String, byte[]> extraFiles) throws IOException {
        // Plots are drawn off-screen; without this a machine with no display can fail in AWT.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        if (runDirs.isEmpty()) throw new IllegalArgumentException("no run directories given");
        List<RunLog> runs = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        java.util.Map<Path, Path> seen = new java.util.HashMap<>();
        for (Path d : runDirs) {
            // A run is its directory: the same one given twice (runs/base runs/base/) would count as two seeds.
            Path real = java.nio.file.Files.isDirectory(d) ? d.toRealPath() : d.toAbsolutePath().normalize();
            Path first = seen.putIfAbsent(real, d);
            if (first != null) throw new IllegalArgumentException("run directory " + d + " is given twice (as " + first + " and " + d + "); give each run once");
            RunLog r = RunLog.read(d);
            if (r.incomplete() != null) warnings.add(d + " (" + r.info().name() + ") is left out of the rankings: " + r.incomplete());
            runs.add(r);
            warnings.addAll(r.warnings());
        }
        Comparison c = new Comparison(runs);
        java.util.Set<String> known = new java.util.HashSet<>();
        for (RunLog r : runs) known.addAll(r.info().domains());
        for (String d : ignoredDomains)
            if (!known.contains(d)) throw new IllegalArgumentException("--ignore-domains: '" + d + "' is not a domain of any run " + new java.util.TreeSet<>(known));
        SeedTable seeds = SeedTable.of(runs, ignoredDomains);
        refuseForeignFiles(outDir);
        try (StagedDirectory stage = StagedDirectory.begin(outDir)) {
            Result r = write(c, seeds, runs, stage.path(), warnings, leadHtml, extraFiles);
            stage.commit();
            List<Path> files = new ArrayList<>();
            for (Path f : r.files()) files.add(outDir.resolve(f.getFileName().toString()));
            return new Result(r.comparison(), r.seeds(), List.copyOf(files), r.warnings());
        }
    }

    /** A report folder of {@code files} (name to bytes) alone, staged and swapped in as {@link #write} does: a study with no finished run yet. */
    public static void writeFiles(Path outDir, java.util.Map<String, byte[]> files) throws IOException {
        refuseForeignFiles(outDir);
        try (StagedDirectory stage = StagedDirectory.begin(outDir)) {
            for (java.util.Map.Entry<String, byte[]> e : files.entrySet()) AtomicFile.write(stage.path().resolve(e.getKey()), e.getValue());
            stage.commit();
        }
    }

    /** A report folder holds what {@link #write} writes: the page, the study's files and PNG plots; anything else is someone's. */
    private static void refuseForeignFiles(Path outDir) throws IOException {
        if (!java.nio.file.Files.isDirectory(outDir)) return;
        List<String> foreign = new ArrayList<>();
        try (var s = java.nio.file.Files.list(outDir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!(java.nio.file.Files.isRegularFile(p) && (n.equals(HTML) || n.equals("report.md") || n.equals("report.json") || n.endsWith(".png")
                        || AtomicFile.isTemporary(p)))) foreign.add(n);
            }
        }
        if (!foreign.isEmpty())
            throw new IllegalArgumentException("--out " + outDir + " holds files a report does not write (" + String.join(", ", foreign.subList(0, Math.min(5, foreign.size())))
                    + (foreign.size() > 5 ? " and " + (foreign.size() - 5) + " more" : "") + "); a report replaces its folder as a whole, so choose another --out");
    }

    private static Result write(Comparison c, SeedTable seeds, List<RunLog> runs, Path outDir, List<String> warnings, String leadHtml,
                                java.util.Map<String, byte[]> extraFiles) throws IOException {
        for (java.util.Map.Entry<String, byte[]> e : extraFiles.entrySet()) AtomicFile.write(outDir.resolve(e.getKey()), e.getValue());
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
        // "acodm (seed-2)" -> "acodm_seed-2", not "acodm_seed-2_".
        String t = s.replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^_+|_+$", "");
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
