//! WebRTC plumbing on the `webrtc` crate: one muxed UDP socket for every peer connection,
//! ICE-lite host candidates only (no STUN/TURN, no mDNS), non-trickle answers.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::{APIBuilder, API};
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice::udp_mux::{UDPMuxDefault, UDPMuxParams};
use webrtc::ice::udp_network::UDPNetwork;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;

use super::{SeederConfig, SeederError};

/// The WebRTC API all of the seeder's peer connections are made with.
pub struct Rtc {
    api: API,
    local_addr: SocketAddr,
    gather_timeout: std::time::Duration,
}

impl Rtc {
    /// Binds the UDP socket and builds the API around it.
    pub async fn new(cfg: &SeederConfig) -> Result<Self, SeederError> {
        let addr = cfg.udp_bind;
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|source| SeederError::Bind { addr, source })?;
        let local_addr = socket
            .local_addr()
            .map_err(|source| SeederError::Bind { addr, source })?;
        let mux = UDPMuxDefault::new(UDPMuxParams::new(socket));
        let mut se = SettingEngine::default();
        se.set_udp_network(UDPNetwork::Muxed(mux));
        se.set_lite(true);
        se.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
        se.set_network_types(vec![NetworkType::Udp4]);
        se.set_include_loopback_candidate(cfg.include_loopback);
        if !cfg.candidate_ips.is_empty() {
            let allowed = cfg.candidate_ips.clone();
            se.set_ip_filter(Box::new(move |ip| allowed.contains(&ip)));
        }
        se.detach_data_channels();
        let api = APIBuilder::new().with_setting_engine(se).build();
        Ok(Rtc {
            api,
            local_addr,
            gather_timeout: cfg.gather_timeout,
        })
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A new peer connection answering `offer_sdp`; returns it with the complete answer SDP.
    pub async fn answer(&self, offer_sdp: &str) -> Result<(Arc<RTCPeerConnection>, String), SeederError> {
        let offer =
            RTCSessionDescription::offer(offer_sdp.to_owned()).map_err(|e| SeederError::BadOffer(e.to_string()))?;
        let config = RTCConfiguration {
            ice_servers: vec![],
            ..Default::default()
        };
        let pc = Arc::new(self.api.new_peer_connection(config).await?);
        match self.negotiate(&pc, offer).await {
            Ok(sdp) => Ok((pc, sdp)),
            Err(e) => {
                let _ = pc.close().await;
                Err(e)
            }
        }
    }

    async fn negotiate(&self, pc: &RTCPeerConnection, offer: RTCSessionDescription) -> Result<String, SeederError> {
        pc.set_remote_description(offer)
            .await
            .map_err(|e| SeederError::BadOffer(e.to_string()))?;
        let answer = pc.create_answer(None).await?;
        let mut gathered = pc.gathering_complete_promise().await;
        pc.set_local_description(answer).await?;
        tokio::time::timeout(self.gather_timeout, gathered.recv())
            .await
            .map_err(|_| SeederError::GatherTimeout)?;
        let local = pc.local_description().await.ok_or(SeederError::GatherTimeout)?;
        Ok(local.sdp)
    }
}
