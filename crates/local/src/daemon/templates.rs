//! The AnalysisTemplates and ClusterAnalysisTemplates read from the file,
//! as the analysis manager's [`TemplateSource`].

use std::collections::BTreeMap;

use serin_api::analysis::AnalysisTemplateSpec;
use serin_api::analysis_ref::AnalysisTemplateRef;
use serin_api::{AnalysisTemplate, ClusterAnalysisTemplate};
use serin_metrics::TemplateSource;

/// Templates by name.
#[derive(Debug, Default)]
pub struct Templates {
    namespaced: BTreeMap<String, AnalysisTemplateSpec>,
    cluster: BTreeMap<String, AnalysisTemplateSpec>,
}

impl Templates {
    /// The templates of the file.
    pub fn new(templates: &[AnalysisTemplate], cluster: &[ClusterAnalysisTemplate]) -> Self {
        Self {
            namespaced: templates
                .iter()
                .filter_map(|t| Some((t.metadata.name.clone()?, t.spec.clone())))
                .collect(),
            cluster: cluster
                .iter()
                .filter_map(|t| Some((t.metadata.name.clone()?, t.spec.clone().into())))
                .collect(),
        }
    }
}

impl TemplateSource for Templates {
    fn template(&self, r: &AnalysisTemplateRef) -> Option<AnalysisTemplateSpec> {
        let map = if r.cluster_scope {
            &self.cluster
        } else {
            &self.namespaced
        };
        map.get(&r.template_name).cloned()
    }
}
