//! The one way a router type becomes a [`crate::TrafficRouter`]:
//! `traffic_router!(Type, NAME)` for a router with async methods
//! `apply_traffic`, `read_traffic` and `restore_all`, or
//! `traffic_router!(Type, NAME, field)` for one whose `field` has them
//! (the Gateway API and Istio routers' `Objects`). The trait's methods box
//! those futures, so that [`crate::Routers`] can hold any router.

/// Implements [`crate::TrafficRouter`] for `$router`, named `$name`, by
/// boxing the futures of `apply_traffic`, `read_traffic` and `restore_all`
/// (of `self`, or of `self.$field`).
macro_rules! traffic_router {
    ($router:ty, $name:expr $(, $field:ident)?) => {
        impl $crate::TrafficRouter for $router {
            fn name(&self) -> &'static str {
                $name
            }

            fn apply<'a>(
                &'a self,
                traffic: &'a ::serin_api::status::Traffic,
            ) -> ::futures::future::BoxFuture<'a, Result<(), $crate::RouterError>> {
                ::futures::FutureExt::boxed(self$(.$field)?.apply_traffic(traffic))
            }

            fn read_back(
                &self,
            ) -> ::futures::future::BoxFuture<
                '_,
                Result<Option<::serin_api::status::Traffic>, $crate::RouterError>,
            > {
                ::futures::FutureExt::boxed(self$(.$field)?.read_traffic())
            }

            fn restore(&self) -> ::futures::future::BoxFuture<'_, Result<(), $crate::RouterError>> {
                ::futures::FutureExt::boxed(self$(.$field)?.restore_all())
            }
        }
    };
}
