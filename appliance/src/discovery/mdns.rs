//! mDNS advertisement with mdns-sd: `<hostname>.local` and an `_http._tcp` service for the
//! viewer on every LAN interface (or only the configured address), following address changes
//! (mdns-sd's `addr_auto`) and name conflicts (`venuebox-2`, reported by its monitor).

use super::{console, Discovery};
use mdns_sd::{DaemonEvent, IfKind, ServiceDaemon, ServiceInfo};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The service type advertised for the viewer.
pub const SERVICE_TYPE: &str = "_http._tcp.local.";

/// Advertises until `shutdown`. A failure to start is logged and mDNS stays off: the box still
/// works by address and QR code.
pub async fn run(discovery: Arc<Discovery>, shutdown: CancellationToken) -> anyhow::Result<()> {
    if !discovery.mdns_wanted() {
        tracing::info!("mDNS off (disabled, or listening on loopback only)");
        shutdown.cancelled().await;
        return Ok(());
    }
    let daemon = match start(&discovery) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "mDNS could not start; viewers can still join by address");
            shutdown.cancelled().await;
            return Ok(());
        }
    };
    let monitor = daemon.monitor()?;
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => break,
            e = monitor.recv_async() => e,
        };
        match event {
            Ok(event) => on_event(&discovery, event),
            Err(_) => break,
        }
    }
    let _ = daemon.shutdown();
    Ok(())
}

fn start(discovery: &Discovery) -> Result<ServiceDaemon, mdns_sd::Error> {
    let cfg = discovery.config();
    let daemon = ServiceDaemon::new()?;
    daemon.set_ip_check_interval(cfg.address_check_secs.min(u64::from(u32::MAX)) as u32)?;
    let listen_ip = discovery.listen().ip();
    if !listen_ip.is_unspecified() {
        daemon.disable_interface(IfKind::All)?;
        daemon.enable_interface(IfKind::Addr(listen_ip))?;
    }
    daemon.disable_interface(vec![IfKind::LoopbackV4, IfKind::LoopbackV6])?;
    let host = format!("{}.local.", cfg.hostname);
    let props = [("path", "/")];
    let info = ServiceInfo::new(
        SERVICE_TYPE,
        &cfg.service_name,
        &host,
        (),
        discovery.listen().port(),
        &props[..],
    )?
    .enable_addr_auto();
    daemon.register(info)?;
    tracing::info!(host = %host, service = %cfg.service_name, "mDNS advertising");
    Ok(daemon)
}

fn on_event(discovery: &Discovery, event: DaemonEvent) {
    match event {
        DaemonEvent::NameChange(change) => {
            let host_record = matches!(change.rr_type, mdns_sd::RRType::A | mdns_sd::RRType::AAAA);
            let new_host = change.new_name.trim_end_matches('.').trim_end_matches(".local");
            tracing::warn!(
                original = %change.original, new = %change.new_name, interface = %change.intf_name,
                "mDNS name conflict resolved by renaming"
            );
            if host_record && discovery.set_hostname(new_host) {
                console::print_join(discovery);
            }
        }
        DaemonEvent::IpAdd(ip) => tracing::info!(%ip, "mDNS: address added"),
        DaemonEvent::IpDel(ip) => tracing::info!(%ip, "mDNS: address removed"),
        DaemonEvent::Error(e) => tracing::warn!(error = %e, "mDNS error"),
        _ => {}
    }
}
