import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { CollectionService } from "./collection-service.js";

export function registerVectorRoutes(context: RouteBindingContext, collections: CollectionService): void {
  bindRoute(context, routes.createVectorCollection, ({ scope, body }) => collections.create(scope, body));
  bindRoute(context, routes.listVectorCollections, ({ scope }) => collections.list(scope));
  bindRoute(context, routes.getCollectionInfo, ({ scope, params }) =>
    collections.info(scope, params.collection_name),
  );
  bindRoute(context, routes.deleteVectorCollection, ({ scope, params }) =>
    collections.delete(scope, params.collection_name),
  );
  bindRoute(context, routes.countVectors, ({ scope, params }) =>
    collections.count(scope, params.collection_name),
  );
  bindRoute(context, routes.upsertVectors, ({ scope, body }) => collections.upsert(scope, body));
  bindRoute(context, routes.retrieveVectors, ({ scope, query }) =>
    collections.retrieve(scope, query.collection_name, query.ids),
  );
  bindRoute(context, routes.searchVectors, ({ scope, body }) => collections.textSearch(scope, body));
  bindRoute(context, routes.deleteVectors, ({ scope, body }) => collections.deletePoints(scope, body));
  bindRoute(context, routes.searchCollection, ({ scope, params, body }) =>
    collections.search(scope, params.collection_name, body),
  );
}
