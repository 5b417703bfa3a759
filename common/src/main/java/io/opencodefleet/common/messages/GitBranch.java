package io.opencodefleet.common.messages;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A git branch name as {@link GitRefs#isValidBranch} accepts it (null is valid: combine with @NotBlank). */
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = GitBranch.Validator.class)
public @interface GitBranch {

    String message() default GitRefs.BRANCH_MESSAGE;

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<GitBranch, String> {
        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || GitRefs.isValidBranch(value);
        }
    }
}
