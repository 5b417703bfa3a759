package io.opencodefleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/** Prints a {@link CommandFailure} as one readable message (stack traces only for real bugs). */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine command, CommandLine.ParseResult parseResult) {
        if (e instanceof CommandFailure failure) {
            command.getErr().println(Ansi.AUTO.string("@|bold,red error:|@ ") + failure.getMessage());
            return failure.exitCode();
        }
        command.getErr().println(Ansi.AUTO.string("@|bold,red unexpected error:|@ ") + e);
        e.printStackTrace(command.getErr());
        return ExitCode.INTERNAL;
    }
}
