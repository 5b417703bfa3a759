package io.opencodefleet.cli;

import io.opencodefleet.devstack.fleet.LocalFleetException;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/**
 * Prints a {@link CommandFailure} or a {@link LocalFleetException} as one readable message (stack traces only for
 * real bugs).
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine command, CommandLine.ParseResult parseResult) {
        if (e instanceof CommandFailure failure) {
            command.getErr().println(Ansi.AUTO.string("@|bold,red error:|@ ") + failure.getMessage());
            return failure.exitCode();
        }
        if (e instanceof LocalFleetException failure) {
            command.getErr().println(Ansi.AUTO.string("@|bold,red error:|@ ") + failure.getMessage());
            return failure.invalidSetting() ? ExitCode.INVALID : ExitCode.LOCAL_FLEET;
        }
        command.getErr().println(Ansi.AUTO.string("@|bold,red unexpected error:|@ ") + e);
        e.printStackTrace(command.getErr());
        return ExitCode.INTERNAL;
    }
}
