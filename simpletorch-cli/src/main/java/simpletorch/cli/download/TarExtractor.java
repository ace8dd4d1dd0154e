package simpletorch.cli.download;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Extracts the expected files of a {@code .tar.gz} archive, and nothing else, like Python's tarfile "data" filter
 * but stricter: the whole archive is refused if any entry has an absolute path, a {@code ..} component, or is a
 * symbolic or hard link, a device or a FIFO (CVE-2007-4559 and its kin). Entries that are expected regular files
 * are written to {@code <name>.part} and renamed into place only after the whole archive has been read and
 * every expected file found with its expected size; anything else (directories, a README) is skipped. On any
 * error the {@code .part} files are deleted, so a final name never holds a partial file.
 */
public final class TarExtractor {
    private TarExtractor() {
    }

    /**
     * @param archive  a gzipped tar file
     * @param destRoot the directory entry names are relative to (the data directory)
     * @param expected entry name (e.g. {@code cifar-10-batches-bin/data_batch_1.bin}) to its size in bytes, or -1
     *                 where the size is not fixed
     * @return the extracted files, in the order of {@code expected}
     * @throws DownloadException naming the archive and the entry if the archive is unsafe, lacks an expected
     *                           file, or holds one of the wrong size
     */
    public static List<Path> extract(Path archive, Path destRoot, Map<String, Long> expected) throws IOException {
        Path root = destRoot.toAbsolutePath().normalize();
        Map<String, Path> parts = new LinkedHashMap<>();
        boolean ok = false;
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = checkedName(archive, entry);
                if (entry.isDirectory() || !expected.containsKey(name)) {
                    continue;
                }
                if (parts.containsKey(name)) {
                    throw new DownloadException(archive + ": entry '" + name + "' appears twice; refusing the archive");
                }
                Path target = root.resolve(name).normalize();
                if (!target.startsWith(root)) { // cannot happen after checkedName; kept as the last line of defence
                    throw new DownloadException(archive + ": entry '" + name + "' would land outside " + root);
                }
                Files.createDirectories(target.getParent());
                Path part = target.resolveSibling(target.getFileName() + ".part");
                parts.put(name, part);
                long n;
                try (OutputStream os = Files.newOutputStream(part)) {
                    n = tar.transferTo(os);
                }
                long want = expected.get(name);
                if (want >= 0 && n != want) {
                    throw new DownloadException(archive + ": entry '" + name + "' has " + n + " bytes, expected " + want);
                }
            }
            for (String name : expected.keySet()) {
                if (!parts.containsKey(name)) {
                    throw new DownloadException(archive + ": expected entry '" + name + "' is missing");
                }
            }
            List<Path> done = new ArrayList<>();
            for (Map.Entry<String, Path> e : parts.entrySet()) {
                Path part = e.getValue();
                Path target = root.resolve(e.getKey()).normalize();
                try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                try {
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
                }
                done.add(target);
            }
            ok = true;
            return done;
        } catch (DownloadException e) {
            throw e;
        } catch (IOException e) {
            throw new DownloadException(archive + ": cannot extract (" + e.getMessage() + "); the archive may be"
                    + " damaged — delete it and run again to fetch a fresh copy", e);
        } finally {
            if (!ok) {
                for (Path p : parts.values()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The entry's name without a leading {@code ./}, or an exception if the entry is unsafe. */
    static String checkedName(Path archive, TarArchiveEntry entry) throws DownloadException {
        String raw = entry.getName();
        String kind = entry.isSymbolicLink() ? "a symbolic link" : entry.isLink() ? "a hard link"
                : entry.isCharacterDevice() ? "a character device" : entry.isBlockDevice() ? "a block device"
                : entry.isFIFO() ? "a FIFO" : null;
        if (kind == null && !entry.isFile() && !entry.isDirectory()) {
            kind = "not a regular file or directory (type " + (char) entry.getLinkFlag() + ")";
        }
        if (kind != null) {
            throw new DownloadException(archive + ": entry '" + raw + "' is " + kind + "; refusing the archive"
                    + " (only regular files are extracted)");
        }
        String name = raw.replace('\\', '/');
        if (name.startsWith("/") || name.matches("^[A-Za-z]:.*")) {
            throw new DownloadException(archive + ": entry '" + raw + "' has an absolute path; refusing the archive");
        }
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new DownloadException(archive + ": entry '" + raw + "' climbs out with '..'; refusing the archive");
            }
        }
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }
}
