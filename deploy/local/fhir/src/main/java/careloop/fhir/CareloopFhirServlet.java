package careloop.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.RequestValidatingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;

/**
 * The FHIR REST endpoint: HAPI's RestfulServer with the JPA resource providers (one per R4
 * resource type), the system provider (transaction/batch Bundles, history) and a
 * CapabilityStatement that lists the search parameters the database actually indexes.
 */
public class CareloopFhirServlet extends RestfulServer {

	@Autowired
	private FhirContext fhirContext;

	@Autowired
	private ResourceProviderFactory resourceProviderFactory;

	@Autowired
	private JpaSystemProvider<?, ?> systemProvider;

	@Autowired
	private IFhirSystemDao<?, ?> systemDao;

	@Autowired
	private JpaStorageSettings storageSettings;

	@Autowired
	private ISearchParamRegistry searchParamRegistry;

	@Autowired
	private IValidationSupport validationSupport;

	@Autowired
	private DatabaseBackedPagingProvider pagingProvider;

	@Autowired
	@Qualifier("jpaInterceptorService")
	private IInterceptorService interceptorService;

	@Autowired
	private RequestValidatingInterceptor requestValidatingInterceptor;

	@Override
	protected void initialize() {
		setFhirContext(fhirContext);
		// One interceptor registry for the REST layer and the storage layer.
		setInterceptorService(interceptorService);
		registerProviders(resourceProviderFactory.createProviders());
		registerProvider(systemProvider);
		setServerConformanceProvider(new JpaCapabilityStatementProvider(
				this, systemDao, storageSettings, searchParamRegistry, validationSupport));
		setPagingProvider(pagingProvider);
		setDefaultResponseEncoding(EncodingEnum.JSON);
		setImplementationDescription("Careloop local FHIR R4 server (HAPI FHIR JPA)");
		registerInterceptor(requestValidatingInterceptor);
		registerInterceptor(new StatusCodeInterceptor());
	}
}
