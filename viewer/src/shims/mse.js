// Stands in for bittorrent-protocol's `mse.js` in the browser bundle (its package maps it to
// nothing, but its index imports names from it): message stream encryption is for TCP peers;
// the live mesh's data channels never use it.
export const nativeRC4 = false;

export class MessageStreamEncryptor {
  constructor() {
    throw new Error('message stream encryption is not available in the browser');
  }
}
