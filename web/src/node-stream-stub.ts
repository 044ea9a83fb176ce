// jMuxer imports Node's stream for its Node-only createStream(); the page never calls it.
export class Duplex {}
