// Re-exports @roamhq/wrtc with ESM named exports, in place of npm webrtc-polyfill.
import wrtc from '@roamhq/wrtc'

export const { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel } = wrtc
export default wrtc
