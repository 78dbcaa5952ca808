// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title IWitnessRegistry — the events, errors and checkpoint type of WitnessRegistry
/// @notice Kept apart from the contract so that a client (or another contract) can decode
/// what the registry emits and reverts with from this file alone.
interface IWitnessRegistry {
    /// @notice A checkpoint as stored on chain.
    /// @param treeSize Number of leaves of the log at this checkpoint.
    /// @param root RFC 9162 Merkle tree head (root hash) of the first `treeSize` leaves.
    /// @param timestamp `block.timestamp` of the anchoring block.
    /// @param blockNumber `block.number` of the anchoring block.
    struct Checkpoint {
        uint64 treeSize;
        bytes32 root;
        uint64 timestamp;
        uint64 blockNumber;
    }

    /// @notice A log was registered with the checkpoint signer `signer`.
    event LogRegistered(bytes32 indexed logId, address indexed registeredBy, address indexed signer);
    /// @notice `account` may now anchor checkpoints of `logId`.
    event AnchorerGranted(bytes32 indexed logId, address indexed account, address indexed sender);
    /// @notice `account` may no longer anchor checkpoints of `logId`.
    event AnchorerRevoked(bytes32 indexed logId, address indexed account, address indexed sender);
    /// @notice Checkpoint number `index` of `logId` was anchored.
    event CheckpointAnchored(
        bytes32 indexed logId, uint256 indexed index, uint64 treeSize, bytes32 root, uint64 timestamp
    );
    /// @notice `logId` takes no more checkpoints; its checkpoints after `lastGoodIndex` are not
    /// to be trusted (`lastGoodIndex` is NO_GOOD_CHECKPOINT if none is).
    event LogFrozen(bytes32 indexed logId, uint256 lastGoodIndex, address indexed frozenBy);
    /// @notice `successor` continues the frozen log `predecessor` from its checkpoint
    /// (`startSize`, `startRoot`), its last good one (0 and zero if it had none).
    event SuccessorRegistered(
        bytes32 indexed predecessor, bytes32 indexed successor, uint64 startSize, bytes32 startRoot
    );
    /// @notice The checkpoint signer of `logId` changed from `previousSigner` to `newSigner`
    /// (signed over by `previousSigner`, sent by the admin `rotatedBy`).
    event CheckpointSignerRotated(
        bytes32 indexed logId, address indexed previousSigner, address indexed newSigner, address rotatedBy
    );

    /// @notice The log id is zero (it must be the SHA-256 of the origin string).
    error ZeroLogId();
    /// @notice `logId` is already registered.
    error LogAlreadyRegistered(bytes32 logId);
    /// @notice `logId` is not registered.
    error UnknownLog(bytes32 logId);
    /// @notice The zero address cannot be an anchorer.
    error ZeroAnchorer(bytes32 logId);
    /// @notice The zero address cannot be a log's checkpoint signer.
    error ZeroSigner(bytes32 logId);
    /// @notice `account` is not an anchorer of `logId`.
    error NotAnchorer(bytes32 logId, address account);
    /// @notice The signature over (`logId`, `treeSize`, `root`) recovers to `recovered`, not to
    /// the log's checkpoint signer `signer`: the log did not sign this checkpoint.
    error CheckpointNotSignedByLog(
        bytes32 logId, uint64 treeSize, bytes32 root, address recovered, address signer
    );
    /// @notice A checkpoint must grow the log: `newSize` must be greater than `lastSize`.
    error TreeSizeNotIncreasing(bytes32 logId, uint64 lastSize, uint64 newSize);
    /// @notice The consistency proof from `fromSize` to `toSize` does not verify
    /// (for the first checkpoint of a log, `fromSize` is 0 and the proof must be empty).
    error InvalidConsistencyProof(bytes32 logId, uint64 fromSize, uint64 toSize);
    /// @notice `index` is not below the number of checkpoints `count` of `logId`.
    error CheckpointOutOfRange(bytes32 logId, uint256 index, uint256 count);
    /// @notice The proof has `length` hashes, more than `maxLength`.
    error ProofTooLong(uint256 length, uint256 maxLength);
    /// @notice `logId` was frozen after its checkpoint `lastGoodIndex`: it takes no checkpoint.
    error LogIsFrozen(bytes32 logId, uint256 lastGoodIndex);
    /// @notice Only a frozen log can have a successor; `logId` is not frozen.
    error LogNotFrozen(bytes32 logId);
    /// @notice `predecessor` already has the successor `successor`.
    error SuccessorAlreadyRegistered(bytes32 predecessor, bytes32 successor);
    /// @notice The hand-over to `newSigner` is signed by `recovered`, not by the log's current
    /// checkpoint signer `signer`.
    error RotationNotSignedBySigner(bytes32 logId, address newSigner, address recovered, address signer);
}
