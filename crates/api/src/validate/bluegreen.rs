//! Rules of the blue-green strategy: distinct active and preview Services,
//! the active Service on Kubernetes, non-negative delays and counts, and the
//! promotion analyses.

use super::common::check_non_negative;
use super::rollout::Platform;
use super::{Context, Errors, Path, analysis_ref};
use crate::bluegreen::BlueGreenStrategy;

/// Every rule of a blue-green strategy at `path`.
pub(crate) fn check(
    bg: &BlueGreenStrategy,
    platform: Platform,
    context: &Context,
    path: &Path,
    errors: &mut Errors,
) {
    let active = bg
        .active_service
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    if platform == Platform::Kubernetes && active.is_none() {
        errors.push(
            &path.field("activeService"),
            "is required on Kubernetes (with template or workloadRef)",
        );
    }
    if let (Some(active), Some(preview)) = (active, bg.preview_service.as_deref())
        && active == preview
    {
        errors.push(
            &path.field("previewService"),
            format!("'{preview}' is the same as activeService"),
        );
    }
    check_non_negative(
        bg.auto_promotion_seconds,
        &path.field("autoPromotionSeconds"),
        errors,
    );
    check_non_negative(
        bg.scale_down_delay_seconds,
        &path.field("scaleDownDelaySeconds"),
        errors,
    );
    check_non_negative(
        bg.abort_scale_down_delay_seconds,
        &path.field("abortScaleDownDelaySeconds"),
        errors,
    );
    check_non_negative(
        bg.preview_replica_count,
        &path.field("previewReplicaCount"),
        errors,
    );
    if bg.auto_promotion_seconds.is_some() && bg.auto_promotion_enabled == Some(false) {
        errors.push(
            &path.field("autoPromotionSeconds"),
            "is set while autoPromotionEnabled is false",
        );
    }
    for (field, analysis) in [
        ("prePromotionAnalysis", &bg.pre_promotion_analysis),
        ("postPromotionAnalysis", &bg.post_promotion_analysis),
    ] {
        if let Some(a) = analysis {
            analysis_ref::check(&a.templates, &a.args, context, &path.field(field), errors);
        }
    }
}
