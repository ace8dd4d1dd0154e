package simpletorch.cli.download;

import java.io.IOException;

/** A download or extraction failed; the message says what, from where, and what to do. */
public class DownloadException extends IOException {
    public DownloadException(String message) {
        super(message);
    }

    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
