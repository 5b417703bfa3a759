package io.opencodefleet.common.messages;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A git remote the fleet may clone: {@code https://}, {@code http://}, {@code ssh://}, {@code git://},
 * {@code file://} or scp-like {@code user@host:path}. Credentials never travel in it: a password, or any
 * user name in an http(s) URL (where tokens hide), is refused; they come from a credential helper. Which schemes
 * a deployment accepts is the planner's setting ({@code fleet.repo.allowed-schemes}).
 */
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = RepoUrl.Validator.class)
public @interface RepoUrl {

    String message() default "must be an https://, http://, ssh://, git:// or file:// URL (or user@host:path) without credentials";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<RepoUrl, String> {
        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || RepoUrls.scheme(value) != null;
        }
    }
}
