"""How model-before-issue-12.safetensors was made: LSTM Studio as it was at commit ed432e6.

    git archive ed432e6 lstm_studio resources | tar -x -C /tmp/legacy
    PYTHONPATH=/tmp/legacy python make_model_before_issue_12.py model-before-issue-12.safetensors

It printed the tokens and probabilities that tests/core/test_text_pipeline.py expects.
"""

import sys

from lstm_studio.core.cleaning import clean_dataset
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.dataset import Dataset, Document
from lstm_studio.core.pipeline import train_model

pos = ["nhân viên thân thiện , đồ ăn ngon", "quán sạch sẽ , phục vụ nhanh",
       "rất hài lòng , sẽ quay lại", "nhân_viên thân_thiện , giá_cả hợp_lý",
       "đồ ăn ngon , không gian đẹp"]
neg = ["phục vụ chậm , đồ ăn nguội", "nhân viên cau có , ko quay lại", "giá đắt , món ăn dở",
       "thất_vọng , phục_vụ kém", "quán bẩn , chờ lâu"]
docs = [Document(t, "pos", "train", f"p{i}") for i, t in enumerate(pos * 4)]
docs += [Document(t, "neg", "train", f"n{i}") for i, t in enumerate(neg * 4)]
cleaned = clean_dataset(Dataset(docs), CleaningConfig(detect_language=False), workers=1)
result = train_model(cleaned.dataset, VocabConfig(), ModelConfig(embedding_dim=8, hidden_size=8),
                     TrainConfig(epochs=3, seed=0), cleaning_config=cleaned.config,
                     record_run=False, out_path=sys.argv[1])
b = result.bundle
for text in ["nhân viên thân thiện", "Nhân viên ko thân thiện, hòa nhã!!"]:
    e = b.prepare(text)
    print(repr(text), e.tokens, e.oov, {k: round(v, 6) for k, v in b.predict(text).items()})
