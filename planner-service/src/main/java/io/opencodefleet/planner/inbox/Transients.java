package io.opencodefleet.planner.inbox;

import io.opencodefleet.common.retry.Retrier;
import jakarta.persistence.LockTimeoutException;
import jakarta.persistence.PessimisticLockException;
import jakarta.persistence.QueryTimeoutException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import org.apache.kafka.common.errors.RetriableException;
import org.hibernate.exception.JDBCConnectionException;
import org.hibernate.exception.LockAcquisitionException;

/**
 * What the planner retries instead of dead-lettering: PostgreSQL away or busy (connection refused or broken, pool
 * exhausted, shutdown in progress, lock or serialization conflicts), the broker away. Anything else is not going
 * to change by waiting.
 */
public final class Transients {

    private Transients() {
    }

    public static boolean isTransient(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof JDBCConnectionException || cause instanceof LockAcquisitionException
                    || cause instanceof PessimisticLockException || cause instanceof LockTimeoutException
                    || cause instanceof QueryTimeoutException || cause instanceof SQLTransientException
                    || cause instanceof ConnectException || cause instanceof RetriableException) {
                return true;
            }
            if (cause instanceof SQLException sql && transientState(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQLSTATE classes that pass: 08 connection, 40 rollback (serialization, deadlock), 53 resources, 57 operator
     * intervention (shutdown), 58 system error; and none at all (the pool's "acquisition timeout").
     */
    private static boolean transientState(String state) {
        return state == null || state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                || state.startsWith("57") || state.startsWith("58");
    }

    public static String describe(Throwable error) {
        return Retrier.rootMessage(error);
    }
}
