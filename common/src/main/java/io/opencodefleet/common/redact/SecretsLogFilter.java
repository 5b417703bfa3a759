package io.opencodefleet.common.redact;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Masks secrets and URL credentials in every log line ({@code quarkus.log.console.filter=fleet-secrets}): the
 * message is formatted first, then redacted, so a secret in a parameter or an exception text is masked too.
 */
@LoggingFilter(name = "fleet-secrets")
public final class SecretsLogFilter implements Filter {

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record instanceof ExtLogRecord ext) {
            String formatted = ext.getFormattedMessage();
            String masked = Redactor.global().redact(formatted);
            if (masked != null && !masked.equals(formatted)) {
                ext.setMessage(masked, ExtLogRecord.FormatStyle.NO_FORMAT);
                ext.setParameters(null);
            }
        }
        return true;
    }
}
