//! Swarm core message handlers: announce (join, progress, offers, answers), stop, scrape.
use std::time::Instant;

use super::core::{BoxOffer, Decoded, Frame, Output, Tracker};
use super::id::{InfoHash, PeerId};
use super::request::{Announce, AnnounceEvent, Answer, ClientMessage, Offer, Scrape};
use super::route::choose_targets;
use super::stream::{choose_stream_targets, take_slots, MAX_FREE_SLOTS};
use super::swarm::{push_recent, ConnId, Peer, Pending, Swarm, Target};
use super::{Action, AnnounceReply, DecodeError, ForwardedAnswer, ForwardedOffer, Rejected};
use super::{ScrapeFile, ScrapeReply, ServerMessage};

impl Tracker {
    /// Decodes one frame within the configured limits.
    pub(super) fn decode(&self, frame: Frame<'_>) -> Decoded {
        match frame {
            Frame::Text(text) => ClientMessage::decode(text, &self.cfg.decode),
            Frame::Binary(n) if n > self.cfg.decode.max_frame => Err(Rejected::bare(DecodeError::TooLarge(n))),
            Frame::Binary(_) => Err(Rejected::bare(DecodeError::Binary)),
        }
    }

    pub(super) fn dispatch(&mut self, now: Instant, conn: ConnId, decoded: Decoded) {
        match decoded {
            Ok(ClientMessage::Announce(a)) => self.on_announce(now, conn, a),
            Ok(ClientMessage::Scrape(s)) => self.on_scrape(conn, s),
            Err(r) => {
                // Always name an action: a reply without one makes the JS client reconnect.
                let action = r.action.or(Some(Action::Announce));
                self.fail(conn, action, r.info_hash, r.error.to_string());
            }
        }
    }

    fn on_announce(&mut self, now: Instant, conn: ConnId, a: Announce) {
        self.counters.announces += 1;
        let ih = a.info_hash;
        if a.event == Some(AnnounceEvent::Stopped) {
            return self.on_stopped(conn, &a);
        }
        if let Err(reason) = self
            .ensure_swarm(now, ih)
            .and_then(|()| self.upsert_peer(now, conn, &a))
        {
            self.drop_if_idle(&ih);
            return self.fail(conn, Some(Action::Announce), Some(ih), reason.into());
        }
        if let Some(answer) = a.answer {
            // Like the reference server: an answer-carrying announce gets no reply.
            return self.relay_answer(conn, ih, a.peer_id, answer);
        }
        self.reply(conn, ih);
        if !a.offers.is_empty() {
            self.route_offers(now, conn, ih, a.peer_id, a.offers);
        }
    }

    fn on_stopped(&mut self, conn: ConnId, a: &Announce) {
        let ih = a.info_hash;
        if let Some(swarm) = self.swarms.get_mut(&ih) {
            if swarm.peers.get(&a.peer_id).is_some_and(|p| p.conn == conn) {
                swarm.remove_peer(&a.peer_id);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.member.retain(|m| *m != (ih, a.peer_id));
                }
            }
        }
        self.reply(conn, ih);
        self.drop_if_idle(&ih);
    }

    fn reply(&mut self, conn: ConnId, ih: InfoHash) {
        let (complete, incomplete) = self.swarms.get(&ih).map_or((0, 0), |s| (s.seeders(), s.leechers()));
        let msg = ServerMessage::Announce(AnnounceReply {
            info_hash: ih,
            complete,
            incomplete,
            interval: Some(self.cfg.interval.as_secs()),
            min_interval: Some(self.cfg.min_interval.as_secs()),
            warning: None,
        });
        self.out.push_back(Output::Send {
            conn,
            frame: msg.encode(),
        });
    }

    fn ensure_swarm(&mut self, now: Instant, ih: InfoHash) -> Result<(), &'static str> {
        if let Some(s) = self.swarms.get_mut(&ih) {
            s.last_active = now;
            return Ok(());
        }
        if self.swarms.len() >= self.cfg.max_swarms || self.open_swarms >= self.cfg.max_open_swarms {
            return Err("too many swarms on this tracker");
        }
        self.swarms.insert(ih, Swarm::new(now, None));
        self.open_swarms += 1;
        Ok(())
    }

    fn upsert_peer(&mut self, now: Instant, conn: ConnId, a: &Announce) -> Result<(), &'static str> {
        let (ih, pid) = (a.info_hash, a.peer_id);
        let max_member = self.cfg.max_swarms_per_connection;
        let swarm = self.swarms.get_mut(&ih).expect("ensure_swarm ran");
        let previous = swarm.peers.get(&pid).map(|p| p.conn);
        if previous != Some(conn) {
            let c = self.conns.get(&conn).ok_or("connection closed")?;
            if c.member.len() >= max_member {
                return Err("too many swarms on this connection");
            }
            let owner = previous.and_then(|o| self.conns.get(&o));
            if owner.is_some_and(|o| o.origin != c.origin) {
                return Err("peer id in use by another client");
            }
            let ids = c.member.iter().map(|(_, p)| p).chain([&pid]);
            let mut distinct: Vec<&PeerId> = ids.collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() > self.cfg.max_peer_ids_per_connection {
                return Err("too many peer ids on this connection");
            }
            if previous.is_none() && swarm.peers.len() >= self.cfg.max_peers_per_swarm {
                return Err("swarm is full");
            }
        }
        let is_new = previous.is_none();
        let peer = swarm.peers.entry(pid).or_insert_with(|| Peer {
            conn,
            left: None,
            complete: false,
            answered: false,
            last_seen: now,
            recent: Default::default(),
            links: Default::default(),
            free_slots: 0,
            joined: now,
        });
        peer.conn = conn;
        peer.last_seen = now;
        if swarm.stream.is_some() && a.answer.is_none() {
            let wanted = a.numwant.unwrap_or(0).min(u64::from(MAX_FREE_SLOTS));
            peer.free_slots = u32::try_from(wanted).expect("at most MAX_FREE_SLOTS");
        }
        let became = swarm.set_progress(&pid, a.left, a.event == Some(AnnounceEvent::Completed));
        if became && !is_new {
            swarm.downloaded += 1;
        }
        if previous != Some(conn) {
            // A peer id that moved to a new connection (a reconnect): the newest one wins.
            if let Some(old) = previous.and_then(|o| self.conns.get_mut(&o)) {
                old.member.retain(|m| *m != (ih, pid));
            }
            self.conns.get_mut(&conn).expect("checked above").member.push((ih, pid));
        }
        Ok(())
    }

    fn relay_answer(&mut self, conn: ConnId, ih: InfoHash, from: PeerId, answer: Answer) {
        let swarm = self.swarms.get_mut(&ih).expect("ensure_swarm ran");
        let key = (answer.to_peer_id, answer.offer_id);
        let pending = swarm.pending.get(&key).filter(|p| p.to == Target::Peer(from));
        let dest = pending.map(|p| p.from_conn);
        let Some(dest) = dest.filter(|_| swarm.peers.contains_key(&answer.to_peer_id)) else {
            let reason = "no pending offer with that `offer_id` from that `to_peer_id`";
            return self.fail(conn, Some(Action::Announce), Some(ih), reason.into());
        };
        swarm.pending.remove(&key);
        if let Some(peer) = swarm.peers.get_mut(&from) {
            // It took part in the swarm: from now on its holding claims count (0104).
            peer.answered = true;
        }
        let msg = ServerMessage::Answer(ForwardedAnswer {
            info_hash: ih,
            peer_id: from,
            offer_id: answer.offer_id,
            answer: answer.answer,
        });
        self.counters.answers_relayed += 1;
        self.out.push_back(Output::Send {
            conn: dest,
            frame: msg.encode(),
        });
    }

    fn route_offers(&mut self, now: Instant, conn: ConnId, ih: InfoHash, from: PeerId, offers: Vec<Offer>) {
        let cfg = &self.cfg;
        let swarm = self.swarms.get_mut(&ih).expect("ensure_swarm ran");
        let room = (2 * cfg.max_peers_per_swarm).saturating_sub(swarm.pending.len());
        let n = offers.len().min(room);
        let targets = match swarm.stream {
            Some(_) => choose_stream_targets(swarm, &from, n, now, cfg, &mut self.rng),
            None => choose_targets(swarm, &from, n, now, cfg, &mut self.rng),
        };
        let expires = now + cfg.offer_timeout;
        for (offer, to) in offers.into_iter().zip(targets) {
            swarm.pending.insert(
                (from, offer.offer_id),
                Pending {
                    from,
                    from_conn: conn,
                    to,
                    expires,
                },
            );
            if swarm.stream.is_some() {
                take_slots(swarm, &from, to);
            }
            match to {
                Target::Peer(pid) => {
                    let peer = swarm.peers.get_mut(&pid).expect("targets are swarm members");
                    push_recent(&mut peer.recent, now, cfg.peer_max_offers);
                    peer.link(from, now);
                    let conn_to = peer.conn;
                    let msg = ServerMessage::Offer(ForwardedOffer {
                        info_hash: ih,
                        peer_id: from,
                        offer_id: offer.offer_id,
                        offer: offer.offer,
                    });
                    self.counters.offers_relayed += 1;
                    if let Some(me) = swarm.peers.get_mut(&from) {
                        me.link(pid, now);
                    }
                    self.out.push_back(Output::Send {
                        conn: conn_to,
                        frame: msg.encode(),
                    });
                }
                Target::BoxSeeder => {
                    if let Some(me) = swarm.peers.get_mut(&from) {
                        me.link(cfg.box_peer_id, now);
                    }
                    swarm.box_offers = swarm.box_offers.saturating_add(1);
                    push_recent(&mut swarm.box_recent, now, cfg.box_capacity * 2);
                    self.counters.box_offers += 1;
                    let (offer_id, offer) = (offer.offer_id, offer.offer);
                    self.out.push_back(Output::BoxOffer(BoxOffer {
                        info_hash: ih,
                        from,
                        offer_id,
                        offer,
                    }));
                }
            }
        }
    }

    fn on_scrape(&mut self, conn: ConnId, s: Scrape) {
        self.counters.scrapes += 1;
        let hashes: Vec<InfoHash> = match s {
            Scrape::All => self.swarms.keys().take(self.cfg.decode.max_scrape).copied().collect(),
            Scrape::One(h) => vec![h],
            Scrape::Many(v) => v,
        };
        let files = hashes
            .into_iter()
            .map(|info_hash| {
                let s = self.swarms.get(&info_hash);
                ScrapeFile {
                    info_hash,
                    complete: s.map_or(0, Swarm::seeders),
                    incomplete: s.map_or(0, Swarm::leechers),
                    downloaded: s.map_or(0, |s| s.downloaded),
                }
            })
            .collect();
        let reply = ScrapeReply {
            files,
            min_request_interval: Some(self.cfg.interval.as_secs()),
        };
        self.out.push_back(Output::Send {
            conn,
            frame: ServerMessage::Scrape(reply).encode(),
        });
    }
}
