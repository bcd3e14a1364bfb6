package careloop.fhir;

import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;

/**
 * Gives two client errors the status FHIR specifies where HAPI answers otherwise:
 * <ul>
 *   <li>an update whose {@code If-Match} names a version that is no longer current: 412
 *       Precondition Failed (HAPI's JPA layer reports a version conflict, 409);</li>
 *   <li>a body that is not well-formed JSON/XML: 400 Bad Request (the validating interceptor,
 *       which parses the body before HAPI does, wraps the parse error in a 500).</li>
 * </ul>
 */
@Interceptor
public class StatusCodeInterceptor {

	@Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
	public BaseServerResponseException clientError(RequestDetails request, Throwable exception) {
		if (exception instanceof ResourceVersionConflictException conflict
				&& request != null
				&& request.getHeader(Constants.HEADER_IF_MATCH) != null) {
			return new PreconditionFailedException(conflict.getMessage(), conflict.getOperationOutcome());
		}
		if (exception instanceof InternalErrorException && isWrappedParseError(exception.getMessage())) {
			return new InvalidRequestException("The request body is not a well-formed FHIR resource: " + exception.getMessage());
		}
		return null;
	}

	/**
	 * The validating interceptor reports an exception of its parser as HAPI-0331 followed by
	 * that exception's toString(), without a cause: Gson (HAPI's JSON parser) or HAPI's own
	 * DataFormatException there means the body did not parse.
	 */
	private static boolean isWrappedParseError(String message) {
		return message != null
				&& message.startsWith(Msg.code(331))
				&& (message.contains("com.google.gson.") || message.contains(DataFormatException.class.getName()));
	}
}
