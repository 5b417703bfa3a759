package io.opencodefleet.planner.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.opencodefleet.testkit.kafka.KafkaBrokerResource;
import io.opencodefleet.testkit.postgres.PostgresResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.SQLException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL lost while a transaction commits (its outbox rows, events and entity changes are written then, just
 * before the commit) is transient, as it is anywhere else: the batch is retried, not dead-lettered. What the caller
 * gets is the transaction manager's rollback, with the connection failure among its causes.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerResource.class)
@QuarkusTestResource(PostgresResource.class)
class TransientsTest {

    @Inject
    TransactionSynchronizationRegistry transactions;

    @Test
    void aConnectionLostWhileCommittingIsTransient() {
        Throwable failure = catchThrowable(() -> QuarkusTransaction.requiringNew().run(() -> transactions.registerInterposedSynchronization(
                new Synchronization() {
                    @Override
                    public void beforeCompletion() {
                        throw new JDBCConnectionException("connection lost", new SQLException("An I/O error occurred", "08006"));
                    }

                    @Override
                    public void afterCompletion(int status) {
                    }
                })));
        assertThat(failure).isNotNull();
        assertThat(Transients.isTransient(failure)).as("%s", failure).isTrue();
    }

    @Test
    void aBadRecordIsNot() {
        assertThat(Transients.isTransient(new IllegalArgumentException("taskId: must not be blank"))).isFalse();
    }
}
