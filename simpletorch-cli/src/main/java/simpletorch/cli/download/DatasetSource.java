package simpletorch.cli.download;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a data set's files come from and where they go. Either one archive (saved in the data directory and
 * extracted there, {@code archiveEntries} naming the files to take out of it), or plain files saved in
 * {@code dataDir/dirName} and read as they are (MNIST's gzipped IDX files).
 *
 * @param displayName    e.g. {@code "CIFAR-10"}
 * @param files          the files to fetch: one archive, or the plain files
 * @param dirName        the directory under the data directory that the files end up in
 * @param archiveEntries for an archive, entry name to size in bytes (-1 where not fixed); empty for plain files
 */
public record DatasetSource(String displayName, List<RemoteFile> files, String dirName, Map<String, Long> archiveEntries) {

    public DatasetSource {
        files = List.copyOf(files);
        archiveEntries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(archiveEntries));
        if (!archiveEntries.isEmpty() && files.size() != 1) {
            throw new IllegalArgumentException("an archive source has exactly one file, got " + files.size());
        }
    }

    /** CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html). */
    public static DatasetSource cifar10() {
        Map<String, Long> entries = new LinkedHashMap<>();
        for (String f : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin")) {
            entries.put("cifar-10-batches-bin/" + f, 30_730_000L);
        }
        entries.put("cifar-10-batches-bin/batches.meta.txt", -1L);
        return new DatasetSource("CIFAR-10", List.of(new RemoteFile("cifar-10-binary.tar.gz",
                "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530",
                170_052_171L)), "cifar-10-batches-bin", entries);
    }

    /** CIFAR-100, binary version. The archive's size is not published; its MD5 decides. */
    public static DatasetSource cifar100() {
        Map<String, Long> entries = new LinkedHashMap<>();
        entries.put("cifar-100-binary/train.bin", 50_000L * 3074);
        entries.put("cifar-100-binary/test.bin", 10_000L * 3074);
        entries.put("cifar-100-binary/fine_label_names.txt", -1L);
        entries.put("cifar-100-binary/coarse_label_names.txt", -1L);
        return new DatasetSource("CIFAR-100", List.of(new RemoteFile("cifar-100-binary.tar.gz",
                "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", -1)),
                "cifar-100-binary", entries);
    }

    /** MNIST from torchvision's mirror, with torchvision's MD5s. */
    public static DatasetSource mnist() {
        String base = "https://ossci-datasets.s3.amazonaws.com/mnist/";
        return new DatasetSource("MNIST", List.of(
                new RemoteFile("train-images-idx3-ubyte.gz", base + "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
                new RemoteFile("train-labels-idx1-ubyte.gz", base + "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881),
                new RemoteFile("t10k-images-idx3-ubyte.gz", base + "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877),
                new RemoteFile("t10k-labels-idx1-ubyte.gz", base + "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542)),
                "mnist", Map.of());
    }

    /**
     * Fashion-MNIST from Zalando's S3 bucket, with torchvision's MD5s. (Debian's {@code dataset-fashion-mnist}
     * holds the same data re-gzipped without the file name, 24 bytes shorter: other checksums, same content.)
     */
    public static DatasetSource fashionMnist() {
        String base = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
        return new DatasetSource("Fashion-MNIST", List.of(
                new RemoteFile("train-images-idx3-ubyte.gz", base + "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
                new RemoteFile("train-labels-idx1-ubyte.gz", base + "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29_515),
                new RemoteFile("t10k-images-idx3-ubyte.gz", base + "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102),
                new RemoteFile("t10k-labels-idx1-ubyte.gz", base + "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5_148)),
                "fashion-mnist", Map.of());
    }

    /** This source with other remote files (tests inject their own checksums and URLs). */
    public DatasetSource withFiles(List<RemoteFile> newFiles) {
        return new DatasetSource(displayName, newFiles, dirName, archiveEntries);
    }

    /**
     * True when the files are already in place: every archive entry extracted with its expected size, or every
     * plain file present with its expected size. Nothing is read beyond file sizes.
     */
    public boolean isPresent(Path dataDir) throws IOException {
        if (!archiveEntries.isEmpty()) {
            for (Map.Entry<String, Long> e : archiveEntries.entrySet()) {
                Path p = dataDir.resolve(e.getKey());
                if (!Files.isRegularFile(p) || (e.getValue() >= 0 && Files.size(p) != e.getValue())) {
                    return false;
                }
            }
            return true;
        }
        for (RemoteFile f : files) {
            Path p = dataDir.resolve(dirName).resolve(f.name());
            if (!Files.isRegularFile(p) || (f.size() > 0 && Files.size(p) != f.size())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes the files present: nothing happens when {@link #isPresent}; an archive already in the data directory
     * is verified and extracted; anything missing or damaged is downloaded (and verified) first.
     *
     * @return whether anything was downloaded or extracted
     */
    public boolean ensure(Path dataDir, Downloader downloader, PrintWriter out) throws IOException {
        if (!archiveEntries.isEmpty()) {
            if (isPresent(dataDir)) {
                return false;
            }
            RemoteFile archive = files.get(0);
            Path local = dataDir.resolve(archive.name());
            out.println((Files.isRegularFile(local) ? "Verifying " + local : "Downloading " + displayName + " from "
                    + archive.source(downloader.mirror()) + " to " + local) + " ...");
            out.flush();
            downloader.fetch(archive, dataDir);
            out.println("Extracting " + local + " into " + dataDir.resolve(dirName) + " ...");
            out.flush();
            TarExtractor.extract(local, dataDir, archiveEntries);
            return true;
        }
        boolean changed = false;
        Path dir = dataDir.resolve(dirName);
        for (RemoteFile f : files) {
            Path p = dir.resolve(f.name());
            if (Files.isRegularFile(p) && Downloader.verify(f, p) == null) {
                continue;
            }
            out.println("Downloading " + f.source(downloader.mirror()) + " to " + p + " ...");
            out.flush();
            downloader.fetch(f, dir);
            changed = true;
        }
        return changed;
    }
}
